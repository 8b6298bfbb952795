import { InvalidArgumentError } from "../errors/index.js";

/**
 * A prompt with `{variable}` placeholders. `{{` and `}}` stand for literal braces.
 *
 * @example
 * ```ts
 * const qa = new PromptTemplate("Context:\n{context}\nQuestion: {query}\nAnswer:");
 * qa.format({ context: "…", query: "Why?" });
 * ```
 */
export class PromptTemplate {
  readonly template: string;
  /** The placeholders the template uses, in order of first appearance. */
  readonly variables: readonly string[];
  private readonly partials: Readonly<Record<string, string>>;

  constructor(template: string, partials: Record<string, string> = {}) {
    if (typeof template !== "string" || template.trim() === "") {
      throw new InvalidArgumentError("template", "a prompt template must be a non-empty string.");
    }
    this.template = template;
    this.partials = partials;
    const names = new Set<string>();
    for (const m of template.matchAll(PLACEHOLDER)) if (m[1]) names.add(m[1]);
    this.variables = [...names];
  }

  /** Fills every placeholder; a missing variable is an {@link InvalidArgumentError} naming it. */
  format(values: Record<string, string>): string {
    const all = { ...this.partials, ...values };
    return this.template.replace(PLACEHOLDER, (whole, name: string | undefined) => {
      if (name === undefined) return whole === "{{" ? "{" : "}";
      const value = all[name];
      if (value === undefined) {
        throw new InvalidArgumentError(
          "prompt",
          `the template needs "{${name}}" but no value was given for it.`,
        );
      }
      return value;
    });
  }

  /** A copy with some variables filled now and the rest left for {@link PromptTemplate.format}. */
  partialFormat(values: Record<string, string>): PromptTemplate {
    return new PromptTemplate(this.template, { ...this.partials, ...values });
  }

  /** Throws unless the template uses every one of `required` (checked when a template is overridden). */
  requireVariables(kind: string, required: readonly string[]): this {
    const missing = required.filter((v) => !this.variables.includes(v) && this.partials[v] === undefined);
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        kind,
        `the template must contain ${missing.map((v) => `{${v}}`).join(" and ")}.`,
      );
    }
    return this;
  }
}

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A template given as text or as a {@link PromptTemplate}. */
export type PromptLike = string | PromptTemplate;

/** Turns a string into a {@link PromptTemplate}; leaves a template as it is. */
export function toPrompt(p: PromptLike): PromptTemplate {
  return typeof p === "string" ? new PromptTemplate(p) : p;
}
