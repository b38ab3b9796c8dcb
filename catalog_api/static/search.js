/* Progressive enhancement of the search page; without it the forms work as they are.
   - Type-ahead on inputs with data-suggest (the ARIA 1.2 combobox pattern, suggestions from
     /api/v1/suggest, which answers OpenSearch suggestions JSON: [query, [titles...]]).
   - Draw an area on the map #area-map: a drag writes west,south,east,north into #bbox. */
(function () {
  "use strict";

  function combobox(input) {
    var list = document.createElement("ul");
    var options = [];
    var active = -1;
    var timer = null;
    var asked = "";
    list.id = input.id + "-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      input.value = options[index].textContent;
      close();
      if (input.form) { input.form.submit(); }
    }

    function show(words) {
      list.textContent = "";
      options = words.map(function (word, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = word;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(li);
        return li;
      });
      active = -1;
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      if (text === asked) { return; }
      asked = text;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : [text, []]; })
        .then(function (body) { if (input.value.trim() === text) { show((body && body[1]) || []); } })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function drawing(svg, field) {
    var start = null;
    var draft = null;
    var NS = "http://www.w3.org/2000/svg";

    function point(event) {
      var p = svg.createSVGPoint();
      p.x = event.clientX;
      p.y = event.clientY;
      var q = p.matrixTransform(svg.getScreenCTM().inverse());
      return { x: Math.max(-180, Math.min(180, q.x)), y: Math.max(-90, Math.min(90, q.y)) };
    }

    function place(a, b) {
      draft.setAttribute("x", Math.min(a.x, b.x));
      draft.setAttribute("y", Math.min(a.y, b.y));
      draft.setAttribute("width", Math.abs(a.x - b.x));
      draft.setAttribute("height", Math.abs(a.y - b.y));
    }

    svg.classList.add("drawable");
    svg.addEventListener("pointerdown", function (event) {
      start = point(event);
      svg.querySelectorAll("rect.extent").forEach(function (r) { r.remove(); });
      draft = document.createElementNS(NS, "rect");
      draft.setAttribute("class", "extent");
      draft.setAttribute("vector-effect", "non-scaling-stroke");
      svg.appendChild(draft);
      place(start, start);
      svg.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    svg.addEventListener("pointermove", function (event) {
      if (start) { place(start, point(event)); }
    });
    svg.addEventListener("pointerup", function (event) {
      if (!start) { return; }
      var end = point(event);
      var round = function (v) { return Math.round(v * 100) / 100; };
      if (Math.abs(end.x - start.x) > 0.2 && Math.abs(end.y - start.y) > 0.2) {
        field.value = [
          round(Math.min(start.x, end.x)), round(-Math.max(start.y, end.y)),
          round(Math.max(start.x, end.x)), round(-Math.min(start.y, end.y))
        ].join(",");
        field.dispatchEvent(new Event("change"));
      }
      start = null;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(combobox);
    var svg = document.getElementById("area-map");
    var field = document.getElementById("bbox");
    if (svg && field && svg.createSVGPoint) { drawing(svg, field); }
  });
})();
