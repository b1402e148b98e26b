// Petrel console: small progressive enhancements. Every page works without them; the server
// checks and decides everything.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("petrel-theme"); } catch (e) { /* storage disabled */ }
  if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-theme-toggle]").forEach(function (b) {
      b.addEventListener("click", function () {
        var dark = root.getAttribute("data-theme") === "dark" ||
          (!root.getAttribute("data-theme") && matchMedia("(prefers-color-scheme: dark)").matches);
        var next = dark ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem("petrel-theme", next); } catch (e) { /* storage disabled */ }
      });
    });
    document.querySelectorAll("[data-lang]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        document.cookie = "petrel_lang=" + a.getAttribute("data-lang") + "; path=/console; SameSite=Strict";
        location.reload();
      });
    });
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-select-all");
        box.form.querySelectorAll('input[name="' + name + '"]').forEach(function (c) { c.checked = box.checked; });
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (ev) {
        if (!confirm(f.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
    document.querySelectorAll("[data-json-editor]").forEach(jsonEditor);
    var panel = document.getElementById("grant-panel");
    if (panel) grantPanel(panel);
  });

  // Validates the policy document as it is typed; the server's own check still decides.
  function jsonEditor(area) {
    var out = area.form.querySelector("[data-json-error]");
    function check() {
      try {
        JSON.parse(area.value);
        out.hidden = true;
        area.setCustomValidity("");
      } catch (e) {
        var m = /position (\d+)/.exec(e.message);
        var where = "";
        if (m) {
          var before = area.value.slice(0, Number(m[1])).split("\n");
          where = " (line " + before.length + ", column " + (before[before.length - 1].length + 1) + ")";
        }
        out.textContent = "Invalid JSON" + where + ": " + e.message;
        out.hidden = false;
        area.setCustomValidity("invalid JSON");
      }
    }
    area.addEventListener("input", check);
    check();
    var refused = area.form.querySelector("[data-policy-error]");
    if (refused) placeServerError(area, refused);
  }

  // Puts the cursor where the server's refusal points: its `line L:C`, or else the first
  // occurrence of the value it quotes last, and says which line and column that is.
  function placeServerError(area, box) {
    var text = area.value;
    var msg = box.textContent;
    var at = -1;
    var len = 0;
    var lc = /line (\d+):(\d+)/.exec(msg);
    if (lc) {
      var lines = text.split("\n");
      var line = Math.min(Number(lc[1]), lines.length);
      at = 0;
      for (var i = 0; i < line - 1; i++) at += lines[i].length + 1;
      at += Math.max(0, Number(lc[2]) - 1);
      len = 1;
    } else {
      // The refused value comes last ("… must be `Allow` or `Deny`, got `Maybe`").
      var quoted = msg.match(/`([^`]+)`|"([^"]+)"/g) || [];
      for (var q = quoted.length - 1; q >= 0 && at < 0; q--) {
        var value = quoted[q].slice(1, -1);
        at = text.indexOf('"' + value + '"');
        if (at >= 0) { at += 1; len = value.length; }
      }
    }
    if (at < 0) return;
    var before = text.slice(0, at).split("\n");
    var place = document.createElement("div");
    place.setAttribute("data-error-place", "");
    place.textContent = "At line " + before.length + ", column " + (before[before.length - 1].length + 1);
    box.appendChild(place);
    area.focus();
    area.setSelectionRange(at, at + len);
  }

  function grantPanel(panel) {
    var tab = "system";
    var search = panel.querySelector("[data-policy-search]");
    function filter() {
      var q = (search.value || "").toLowerCase();
      panel.querySelectorAll(".policy").forEach(function (p) {
        var show = p.getAttribute("data-kind") === tab && p.getAttribute("data-name").toLowerCase().indexOf(q) >= 0;
        p.hidden = !show;
      });
    }
    panel.querySelectorAll("[data-tab]").forEach(function (b) {
      b.addEventListener("click", function () {
        tab = b.getAttribute("data-tab");
        panel.querySelectorAll("[data-tab]").forEach(function (o) { o.setAttribute("aria-selected", String(o === b)); });
        filter();
      });
    });
    search.addEventListener("input", filter);
    var picker = panel.querySelector(".rg-picker");
    function scope() {
      var rg = panel.querySelector('input[name="scope"][value="resource_group"]').checked;
      picker.hidden = !rg;
    }
    panel.querySelectorAll('input[name="scope"]').forEach(function (r) { r.addEventListener("change", scope); });
    scope();
    var preview = panel.querySelector("[data-risk-preview]");
    function risk() {
      preview.hidden = !panel.querySelector('input[name="policy"][data-high-risk]:checked');
    }
    panel.querySelectorAll('input[name="policy"]').forEach(function (c) { c.addEventListener("change", risk); });
    risk();
  }
})();
