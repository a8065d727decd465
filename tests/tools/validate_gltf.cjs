// Validate glTF/GLB files with the Khronos glTF-Validator (npm gltf-validator).
// Usage: node tests/tools/validate_gltf.cjs FILE... ; prints one JSON line per file.
const fs = require("fs");
const validator = require("gltf-validator");

(async () => {
  for (const path of process.argv.slice(2)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(path)), {
      maxIssues: 50,
    });
    const issues = report.issues;
    console.log(
      JSON.stringify({
        path,
        errors: issues.numErrors,
        warnings: issues.numWarnings,
        messages: issues.messages.filter((m) => m.severity <= 1).slice(0, 10),
      }),
    );
  }
})();
