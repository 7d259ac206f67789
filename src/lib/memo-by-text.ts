/**
 * A per-isolate memo of what a definition makes of a stored text (a job's configuration, parsed by
 * its job type's schema), keyed by the definition and then by the text itself: an edited text is a
 * new entry and never finds the old one. At most `perDefinition` texts a definition: emptied when full.
 * Every caller of a text is given the same value, so the plain data in it (objects and arrays, all
 * the way down) is frozen: no caller, a job run on one lead, can change what the next is given.
 */
export function memoByText<D extends object, V>(perDefinition: number, make: (def: D, text: string) => V): (def: D, text: string) => V {
  const byDefinition = new WeakMap<D, Map<string, V>>();
  return (def, text) => {
    let byText = byDefinition.get(def);
    if (!byText) byDefinition.set(def, (byText = new Map()));
    let value = byText.get(text);
    if (value === undefined) {
      value = freezePlainData(make(def, text));
      if (byText.size >= perDefinition) byText.clear();
      byText.set(text, value);
    }
    return value;
  };
}

/**
 * Freezes plain objects and arrays, and those they hold; other objects (an error, a regular
 * expression, whose methods write to them) are left as they are.
 */
function freezePlainData<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) freezePlainData(v);
  return value;
}
