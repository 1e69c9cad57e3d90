// Shows the print buttons of the road map and ledger sheet pages (they need JavaScript; the
// browser's own print command gives the same A4 layout without it).
'use strict';
for (const b of document.querySelectorAll('[data-print]')) {
  b.hidden = false;
  b.addEventListener('click', () => window.print());
}
