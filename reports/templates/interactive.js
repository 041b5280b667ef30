// contxray report, --interactive: draws every chart from the inlined specs with the inlined vega bundles.
// `ast: true` makes vega interpret expressions instead of compiling them with Function(), so the page
// works under a Content-Security-Policy without 'unsafe-eval'; no default styles are injected (they would
// need their own CSP hash), no export/editor actions (the editor action would open a web page).
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('contxray-specs').textContent);
  var options = {
    mode: 'vega-lite',
    renderer: 'svg',
    actions: false,
    ast: true,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true }
  };
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById(id);
    if (!el) return;
    el.textContent = '';
    vegaEmbed(el, specs[id], options).catch(function (err) {
      el.textContent = 'This chart could not be drawn: ' + (err && err.message ? err.message : String(err));
      console.error(err);
    });
  });
})();
