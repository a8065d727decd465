// "Copy the code" beside a read-only textarea (templates/includes/artifact_data.html): copies the
// embed snippet; without the clipboard API the code is selected for the visitor to copy.

function setup(box) {
  const code = box.querySelector("textarea");
  const button = box.querySelector("[data-copy-button]");
  const status = box.querySelector("[data-copy-status]");
  if (!code || !button || !status) return;
  button.addEventListener("click", async () => {
    code.select();
    try {
      await navigator.clipboard.writeText(code.value);
      status.textContent = box.dataset.strCopied;
    } catch {
      status.textContent = box.dataset.strFailed;
    }
  });
}

for (const box of document.querySelectorAll("[data-copy-snippet]")) setup(box);
