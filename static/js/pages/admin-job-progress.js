// Keeps job progress bars in the admin live: polls /api/jobs/<id>/ while a job is queued or
// running, then reloads the page once so the new assets and the report appear.
const POLL_MS = 1000;

async function follow(bar) {
  const label = bar.parentElement.querySelector("[data-job-stage]");
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    let job;
    try {
      const response = await fetch(bar.dataset.jobUrl, { credentials: "same-origin" });
      if (!response.ok) return;
      job = await response.json();
    } catch {
      continue; // a network blip: try again on the next tick
    }
    bar.value = job.progress;
    if (label) label.textContent = `${job.progress}% ${job.stage}`;
    if (job.status === "done" || job.status === "failed") {
      window.location.reload();
      return;
    }
  }
}

document.querySelectorAll("progress[data-job-url][data-live='1']").forEach(follow);
