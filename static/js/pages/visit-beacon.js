/**
 * Visit analytics (museum/analytics/beacon.py): when the visitor leaves the page or hides it,
 * one beacon says which object was viewed (if any), for how long the page was visible, and in
 * which mode (browser, or VR / AR if an immersive session was started). Nothing identifies the
 * visitor; with Global Privacy Control or Do Not Track nothing is sent at all.
 *
 * templates/includes/visit_beacon.html puts the element this reads on the page.
 */

const element = document.querySelector('[data-visit-beacon]');
const optedOut = navigator.globalPrivacyControl === true || navigator.doNotTrack === '1';

if (element && !optedOut && typeof navigator.sendBeacon === 'function') {
  const url = element.dataset.visitBeacon;
  const artifact = element.dataset.artifact ? Number(element.dataset.artifact) : null;
  let visibleSince = document.visibilityState === 'visible' ? performance.now() : null;
  let visibleMs = 0;
  let mode = 'browser';
  let sent = false;

  // xr-buttons.js announces an immersive session; the beacon keeps the last one.
  document.addEventListener('mouseion:xrmode', (event) => {
    if (event.detail === 'vr' || event.detail === 'ar') mode = event.detail;
  });

  const send = () => {
    if (sent) return;
    sent = true;
    if (visibleSince !== null) visibleMs += performance.now() - visibleSince;
    visibleSince = null;
    const body = { mode };
    if (artifact) {
      body.artifact = artifact;
      body.dwell = Math.round(visibleMs / 100) / 10;
    }
    navigator.sendBeacon(url, new Blob([JSON.stringify(body)], { type: 'application/json' }));
  };

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') send();
  });
  window.addEventListener('pagehide', send);
}
