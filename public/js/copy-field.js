// Progressive enhancement: a "Copy" button beside a read-only field (the field itself can always be selected and
// copied by hand). The button stays hidden where the Clipboard API is missing.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll('[data-copy-target]').forEach(function (button) {
    var field = document.getElementById(button.getAttribute('data-copy-target'));
    if (!field) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute('data-copied-text') || label;
        setTimeout(function () { button.textContent = label; }, 3000);
      }, function () {
        field.select();
      });
    });
    field.addEventListener('focus', function () { field.select(); });
  });
})();
