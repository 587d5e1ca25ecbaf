// Orchestration dashboard: live updates and confirmations. No framework, no inline script (the CSP forbids it).
(function () {
  'use strict';

  // Forms that change something ask first when they say so.
  document.addEventListener('submit', function (event) {
    var message = event.target.getAttribute('data-confirm');
    if (message && !window.confirm(message)) event.preventDefault();
  });

  var live = document.body.getAttribute('data-live');
  var fragment = document.body.getAttribute('data-fragment');
  if (!live || !fragment || !window.EventSource) return;

  var pending = false;
  var running = false;

  function refresh() {
    if (running) { pending = true; return; }
    running = true;
    pending = false;
    fetch(fragment, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var target = document.getElementById('live');
        if (html === null || !target) return;
        // Keep what the reader opened and typed: details stay open, inputs keep their text.
        var open = Array.prototype.map.call(target.querySelectorAll('details[open]'), function (d) { return d.id; });
        var focused = document.activeElement && target.contains(document.activeElement) ? document.activeElement.id : null;
        var values = {};
        Array.prototype.forEach.call(target.querySelectorAll('input[id]'), function (i) { values[i.id] = i.value; });
        target.innerHTML = html;
        open.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
        Object.keys(values).forEach(function (id) { var i = document.getElementById(id); if (i) i.value = values[id]; });
        if (focused) { var f = document.getElementById(focused); if (f) f.focus(); }
        document.body.setAttribute('data-refreshed', String(Date.now()));
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        running = false;
        if (pending) refresh();
      });
  }

  var source = new EventSource(live);
  source.addEventListener('changed', refresh);
  // The stream starts at the newest event when it opens, and the page was rendered before that: whatever changed in
  // between (or while a dropped stream reconnected) has no event on this stream, so each open refreshes once.
  source.addEventListener('open', function () { document.body.setAttribute('data-live-state', 'open'); refresh(); });
  source.addEventListener('error', function () { document.body.setAttribute('data-live-state', 'reconnecting'); });
})();
