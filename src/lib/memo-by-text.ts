/**
 * A per-isolate memo of what a definition makes of a stored text (a job's configuration, parsed by
 * its job type's schema), keyed by the definition and then by the text itself: an edited text is a
 * new entry and never finds the old one. At most `perDefinition` texts a definition: emptied when full.
 */
export function memoByText<D extends object, V>(perDefinition: number, make: (def: D, text: string) => V): (def: D, text: string) => V {
  const byDefinition = new WeakMap<D, Map<string, V>>();
  return (def, text) => {
    let byText = byDefinition.get(def);
    if (!byText) byDefinition.set(def, (byText = new Map()));
    let value = byText.get(text);
    if (value === undefined) {
      value = make(def, text);
      if (byText.size >= perDefinition) byText.clear();
      byText.set(text, value);
    }
    return value;
  };
}
