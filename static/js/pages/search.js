// Collection search and "more like this": progressive enhancement of plain HTML.
// A form with data-search-api shows its first results in place (the form still works without
// JavaScript: it opens /search/). A section with data-similar-url lists neighbours from the API.
// Counts are announced through a role="status" region; the list itself is not live.

const SHOWN = 10;

function metaText(result) {
  return [result.classification, result.culture, result.date_text].filter(Boolean).join(" · ");
}

function resultItem(result, draftLabel) {
  const item = document.createElement("li");
  item.className = "search-results__item";
  // The thumbnail is decorative: the title names the object.
  const thumb = document.createElement(result.thumbnail ? "img" : "div");
  thumb.className = "search-results__thumb";
  if (result.thumbnail) {
    Object.assign(thumb, { src: result.thumbnail, alt: "", loading: "lazy", decoding: "async" });
  } else {
    thumb.classList.add("thumbnail-placeholder");
    thumb.setAttribute("aria-hidden", "true");
  }
  const body = document.createElement("div");
  body.className = "search-results__body";
  const title = document.createElement(result.url ? "a" : "span");
  title.className = "search-results__title";
  title.textContent = result.title;
  if (result.url) title.href = result.url;
  body.append(title);
  const meta = metaText(result);
  const parts = [meta, result.published ? "" : `(${draftLabel})`].filter(Boolean);
  if (parts.length) {
    const line = document.createElement("span");
    line.className = "search-results__meta";
    line.textContent = parts.join(" ");
    body.append(line);
  }
  item.append(thumb, body);
  return item;
}

async function fetchJson(url, signal) {
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
    signal,
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function enhanceSearch(form) {
  const region = document.getElementById(form.dataset.resultsId);
  if (!region) return;
  const status = region.querySelector(".search-results__status");
  const list = region.querySelector(".search-results__list");
  const more = region.querySelector(".search-results__more");
  const strings = form.dataset;
  let controller = null;

  form.addEventListener("submit", async (event) => {
    const query = (new FormData(form).get("q") || "").toString().trim();
    if (!query) return; // the browser's own validation explains the empty field
    event.preventDefault();
    controller?.abort();
    controller = new AbortController();
    region.setAttribute("aria-busy", "true");
    status.textContent = strings.strLoading;
    try {
      const url = new URL(strings.searchApi, window.location.href);
      url.searchParams.set("q", query);
      url.searchParams.set("page_size", String(SHOWN));
      const data = await fetchJson(url, controller.signal);
      list.replaceChildren(...data.results.map((r) => resultItem(r, strings.strDraft)));
      list.hidden = data.results.length === 0;
      if (data.count === 0) status.textContent = strings.strNone;
      else if (data.count === 1) status.textContent = strings.strOne;
      else status.textContent = strings.strMany.replace("{count}", data.count.toLocaleString());
      const link = more.querySelector("a");
      const page = new URL(form.action, window.location.href);
      page.searchParams.set("q", query);
      link.href = page.pathname + page.search;
      link.textContent = strings.strAll;
      more.hidden = data.count === 0;
    } catch (error) {
      if (error.name === "AbortError") return;
      list.hidden = true;
      more.hidden = true;
      status.textContent = strings.strError;
    } finally {
      region.removeAttribute("aria-busy");
    }
  });
}

async function enhanceSimilar(section) {
  const list = section.querySelector(".more-like-this__list");
  const status = section.querySelector(".more-like-this__status");
  section.setAttribute("aria-busy", "true");
  try {
    const data = await fetchJson(section.dataset.similarUrl);
    const shown = data.results.filter((r) => r.url);
    list.replaceChildren(...shown.map((r) => resultItem(r, "")));
    list.hidden = shown.length === 0;
    if (!shown.length) status.textContent = section.dataset.strNone;
  } catch {
    status.textContent = section.dataset.strError;
  } finally {
    section.removeAttribute("aria-busy");
  }
}

for (const form of document.querySelectorAll("form[data-search-api]")) enhanceSearch(form);
for (const section of document.querySelectorAll("[data-similar-url]")) enhanceSimilar(section);
