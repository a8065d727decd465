// ESLint for the browser code in static/js (`make lint-js`): the recommended rules, browser globals.
// Written as CommonJS so that Node loads it without a "type" in package.json.
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  js.configs.recommended,
  {
    files: ['static/js/**/*.js'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.browser },
  },
  {
    // The admin's Media loads this one as a classic script, not a module.
    files: ['static/js/pages/admin-job-progress.js'],
    languageOptions: { sourceType: 'script' },
  },
  {
    files: ['eslint.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
];
