// Progressive enhancement for address boxes with suggestions (the claims list's article filter):
// as the reader types part of a title, the box's <datalist> fills with matching items from the
// JSON at data-suggest, each offered as its address (slug) with its title. Without JavaScript
// the box takes the address as typed. A file, not inline: the site's CSP allows no inline script.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-suggest][list]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var timer = null;
    var last = "";
    var controller = null;

    function fill(results) {
      list.textContent = "";
      results.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item.slug;
        option.label = item.title;
        option.textContent = item.title;
        list.appendChild(option);
      });
    }

    function ask() {
      var typed = input.value.trim();
      if (typed.length < 2 || typed === last) return;
      last = typed;
      if (controller) controller.abort();
      controller = "AbortController" in window ? new AbortController() : null;
      var url = input.dataset.suggest + "?q=" + encodeURIComponent(typed);
      fetch(url, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { fill(data.results || []); })
        .catch(function () { /* aborted or offline: keep the box as it is */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
  });
})();
