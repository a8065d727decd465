/**
 * Fill a translated UI string with values.
 *
 * Strings come from the server already translated. Those written for JavaScript use `{name}`
 * placeholders; those that are Django gettext strings use Python's `%(name)s`. Both forms are
 * filled from `values`: a null or undefined value gives an empty string, and a placeholder whose
 * name is not in `values` is left as written, so a missing value shows instead of vanishing.
 * A missing template (an untranslated key) gives an empty string.
 *
 * @param {string | null | undefined} template
 * @param {Record<string, unknown>} values
 * @returns {string}
 */
export function format(template, values) {
  return String(template ?? '').replace(/\{(\w+)\}|%\((\w+)\)s/g, (match, brace, percent) => {
    const key = brace ?? percent;
    return key in values ? String(values[key] ?? '') : match;
  });
}
