'use strict';
// mocha's spec reporter plus a machine-readable summary: on the run's end it writes {passes, failures, pending}
// to $VIGIL_TEST_SUMMARY, which .ci/run turns into its closing line "tests: N passed, N failed".
const fs = require('node:fs');
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.VIGIL_TEST_SUMMARY;
      if (file) {
        const { passes, failures, pending, tests } = this.stats;
        fs.writeFileSync(file, JSON.stringify({ passes, failures, pending, tests }));
      }
    });
  }
}
module.exports = SummaryReporter;
