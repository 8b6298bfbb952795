/**
 * Questions over examples/data with the file and sentence that answer each (verbatim from the file), and the
 * answer a scripted model gives: a paraphrase of that sentence, citing the numbered source that holds it
 * (`cite: "right"`) or, once on purpose, the first retrieved source from another file (`cite: "wrong"`).
 * Used by citation-quality.test.ts.
 */
export interface QualityCase {
  question: string;
  /** The examples/data file (its name) that answers the question. */
  file: string;
  /** The sentence of `file` that answers it, verbatim. */
  support: string;
  /** The scripted model's answer, before its marker: a paraphrase of `support`. */
  paraphrase: string;
  /** Which source the scripted answer cites. */
  cite: "right" | "wrong";
}

export const QUALITY_CASES: QualityCase[] = [
  {
    question: "What did Hester do in 1903?",
    file: "lighthouse.txt",
    support:
      "In 1903 Hester rowed out alone to rescue four men from a capsized coal barge and was awarded a silver " +
      "medal, which she kept in a drawer and never wore.",
    paraphrase: "In 1903 Hester rescued four men from a capsized coal barge and was awarded a silver medal",
    cite: "right",
  },
  {
    question: "Where is the office?",
    file: "company-faq.html",
    support: "Since 2015 our office has been in Port Sorel, in a converted net loft above the harbour.",
    paraphrase: "The office has been in a converted net loft in Port Sorel since 2015",
    cite: "right",
  },
  {
    question: "When was Slipway Software founded?",
    file: "company-faq.html",
    support:
      "The company was founded in 2008 by Mara Ilic and two friends she met in the city while working as an " +
      "illustrator and web designer.",
    paraphrase: "Mara Ilic and two friends founded the company in 2008",
    cite: "right",
  },
  {
    question: "How many people work at Slipway Software?",
    file: "company-faq.html",
    support:
      "About fourteen people work at the company today: developers, a designer, two support specialists who " +
      "have worked in boatyards themselves, and a part-time bookkeeper.",
    paraphrase: "About fourteen people work at the company, including developers and support specialists",
    cite: "right",
  },
  {
    question: "What did the author build when she was eleven?",
    file: "memoir.md",
    support:
      "When I was eleven I built a crystal radio from a kit my uncle gave me, a coil of copper wire wound " +
      "around a cardboard tube, and an old pair of headphones.",
    paraphrase: "At eleven she built a crystal radio from a kit her uncle gave her",
    cite: "right",
  },
  {
    question: "How long do you bake the honey cake?",
    file: "recipes.md",
    support: "Bake at 180 C for about forty minutes, until a skewer comes out clean.",
    paraphrase: "The honey cake bakes at 180 C for about forty minutes",
    cite: "wrong",
  },
  {
    question: "When did Elias Brandt take the post?",
    file: "lighthouse.txt",
    support: "Elias Brandt took the post in 1871 and kept it for thirty-four years.",
    paraphrase: "Elias Brandt kept the post for thirty-four years from 1871",
    cite: "right",
  },
  {
    question: "What did Mara study at the art academy?",
    file: "timeline.json",
    support: "Leaves Port Sorel to study painting at the art academy in the city.",
    paraphrase: "She left Port Sorel in 1997 to study painting at the art academy",
    cite: "right",
  },
];
