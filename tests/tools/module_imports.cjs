// The import specifiers of ES modules, read by a real parser (acorn, which ESLint brings), so
// comments and strings that merely look like imports are not taken for them.
// Usage: node tests/tools/module_imports.cjs FILE...  ->  {"FILE": ["./a.js", "three", ...], ...}
'use strict';

const fs = require('node:fs');
const acorn = require('acorn');

const result = {};
for (const file of process.argv.slice(2)) {
  const program = acorn.parse(fs.readFileSync(file, 'utf8'), { ecmaVersion: 'latest', sourceType: 'module' });
  const specifiers = [];
  const visit = (node) => {
    if (!node || typeof node.type !== 'string') return;
    if (
      ['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration', 'ImportExpression'].includes(node.type) &&
      node.source && node.source.type === 'Literal'
    ) {
      specifiers.push(node.source.value);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  };
  visit(program);
  result[file] = specifiers;
}
process.stdout.write(JSON.stringify(result));
