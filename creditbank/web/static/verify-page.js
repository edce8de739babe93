/*
 * The public verification page: fetch the certificate's bundle, verify it here with
 * verifier.js against the log key the page shows, and show the verdict, each check and
 * the credits the certificate rests on (only once verified). The server's own verdict
 * inside the bundle is never used.
 */
(function () {
  "use strict";

  const box = document.getElementById("verification");
  if (!box) return;
  const verdict = document.getElementById("verdict");
  const checksList = document.getElementById("checks");
  const creditsBody = document.querySelector("#credits tbody");
  const label = (name) => box.dataset["label" + name.charAt(0).toUpperCase() + name.slice(1)];

  function show(status, text) {
    verdict.dataset.status = status;
    verdict.className = "verdict verdict-" + status;
    verdict.textContent = text;
    box.dataset.done = "true";
  }

  const headings = Array.from(document.querySelectorAll("#credits thead th"), (th) => th.textContent);

  function cell(row, text) {
    const td = document.createElement("td");
    td.dataset.label = headings[row.children.length] || "";
    td.textContent = text === undefined || text === null ? "" : String(text);
    row.appendChild(td);
  }

  function render(outcome) {
    checksList.replaceChildren();
    for (const c of outcome.checks) {
      const li = document.createElement("li");
      li.className = c.ok ? "check-ok" : "check-failed";
      li.dataset.check = c.check;
      li.dataset.ok = String(c.ok);
      const mark = document.createElement("strong");
      mark.textContent = (c.ok ? "\u2713 " : "\u2717 ") + c.check + " \u2014 " + label(c.ok ? "passed" : "failed");
      const detail = document.createElement("span");
      detail.textContent = ": " + c.detail;
      li.append(mark, detail);
      checksList.appendChild(li);
    }
    creditsBody.replaceChildren();
    for (const a of outcome.credits) {
      const tr = document.createElement("tr");
      for (const v of [a.unit_code, a.credits, a.mode, a.course_id, a.provider, (a.completed_at || "").slice(0, 10)]) cell(tr, v);
      creditsBody.appendChild(tr);
    }
    show(outcome.status, label(outcome.status));
  }

  async function run() {
    let text;
    try {
      const response = await fetch(box.dataset.bundleUrl, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      text = await response.text();
    } catch (e) {
      show("error", label("error") + " (" + e.message + ")");
      return;
    }
    try {
      const derived = JSON.parse(box.dataset.derived);
      render(await window.creditbankVerifier.verify(text, box.dataset.key, box.dataset.number, derived));
    } catch (e) {
      show("invalid", label("invalid") + " (" + e.message + ")");
    }
  }

  run();
})();
