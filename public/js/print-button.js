// The printable response page: a "Print" button where scripts run (without them, the browser's own print works).
document.querySelectorAll('[data-print-button]').forEach((button) => {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
});
