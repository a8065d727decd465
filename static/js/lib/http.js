/**
 * Requests to the site's own API from pages that Django rendered.
 *
 * Writes need Django's CSRF token: the page carries it as the hidden input of `{% csrf_token %}`.
 */

/**
 * The CSRF token rendered into the page, or '' when there is none (the server then refuses the
 * write with a 403 the caller shows).
 *
 * @param {ParentNode} [scope] the form or panel to look in; the whole document by default
 * @returns {string}
 */
export function csrfToken(scope = document) {
  return scope.querySelector('input[name="csrfmiddlewaretoken"]')?.value ?? '';
}

/**
 * POST to a same-origin URL with the CSRF header, asking for JSON back. `json` is sent as a JSON
 * body; otherwise `body` (a FormData, say) is sent as it is. Resolves to the Response: callers
 * read it, since each shows errors in its own way.
 *
 * @param {string} url
 * @param {object} [options]
 * @param {unknown} [options.json] a value to send as JSON
 * @param {BodyInit} [options.body] a body to send as it is, when `json` is not given
 * @param {ParentNode} [options.scope] where to find the CSRF token (see csrfToken)
 * @returns {Promise<Response>}
 */
export function postTo(url, { json, body, scope = document } = {}) {
  const headers = { Accept: 'application/json', 'X-CSRFToken': csrfToken(scope) };
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  return fetch(url, { method: 'POST', credentials: 'same-origin', headers, body });
}
