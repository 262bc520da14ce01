// Progressive enhancement for article pages: selecting a highlighted passage opens a
// small card with its verdict and a link to the claim. Without JavaScript the verdict
// still shows on hover and focus, and every passage is listed with links below the text.
(function () {
  "use strict";
  var marks = document.querySelectorAll("mark.passage[data-href]");
  if (!marks.length) return;
  // A <span> so it can sit right after the highlight inside the paragraph: Tab from the card's
  // link then continues with the text that follows, not from the end of the page.
  var card = document.createElement("span");
  card.className = "passage-card";
  card.setAttribute("role", "dialog");
  card.setAttribute("aria-label", "Claim details");
  card.hidden = true;
  var current = null;

  function close() {
    card.hidden = true;
    if (current) { current.setAttribute("aria-expanded", "false"); }
    current = null;
  }

  function open(mark) {
    card.textContent = "";
    var statement = document.createElement("span");
    statement.textContent = mark.dataset.statement;
    var grade = document.createElement("span");
    grade.textContent = mark.dataset.label;
    var link = document.createElement("a");
    link.href = mark.dataset.href;
    link.textContent = "Open the claim and its evidence →";
    link.className = "passage-card-link";
    var linkLine = document.createElement("span");
    linkLine.appendChild(link);
    card.append(statement, grade, linkLine);
    mark.after(card);
    var box = mark.getBoundingClientRect();
    card.hidden = false;
    var left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 8));
    card.style.left = left + "px";
    card.style.top = (box.bottom + window.scrollY + 6) + "px";
    current = mark;
    mark.setAttribute("aria-expanded", "true");
    link.focus({ preventScroll: true });
  }

  marks.forEach(function (mark) {
    mark.setAttribute("role", "button");
    mark.setAttribute("aria-expanded", "false");
    mark.addEventListener("click", function (event) { event.preventDefault(); current === mark ? close() : open(mark); });
    mark.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(mark); }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current) { var back = current; close(); back.focus(); }
  });
  document.addEventListener("click", function (event) {
    if (current && !card.contains(event.target) && !event.target.closest("mark.passage")) close();
  });
})();

// Skip links that name a field to focus ("Skip to search"): following one puts the cursor in the
// field, so a keyboard reader types at once. Without JavaScript the link still scrolls to it.
(function () {
  "use strict";
  document.querySelectorAll("a.skip-link[data-focus]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var field = document.getElementById(link.dataset.focus);
      if (!field) return;
      event.preventDefault();
      field.focus();
    });
  });
})();
