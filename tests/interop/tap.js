// tap.js - the TAP output both interop scripts and the UI browser test
// (tests/ui/ui.test.js) print ("ok N - name" / "not ok N - name" with the
// first lines of the error), which tests/integration/interop.sh and
// ui_browser.sh pass on to `make test`.
'use strict';

let n = 0;
let failed = 0;

async function test(name, fn) {
  n += 1;
  try {
    await fn();
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok ${n} - ${name}`);
    for (const line of String(e && e.stack ? e.stack : e).split('\n').slice(0, 6)) {
      console.log(`#   ${line}`);
    }
  }
}

// Run a script's async body: print the summary and exit 1 on any failure,
// or report a crash as one more failed test.
function run(what, body) {
  body().then(() => {
    console.log(`# ${n} tests, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }, (e) => {
    console.log(`not ok ${n + 1} - ${what} script crashed: ${e}`);
    process.exit(1);
  });
}

module.exports = { test, run };
