/**
 * The verifiable reward of the `rlvr` stage: exact match of the extracted final answer, scored
 * `reward` (open-instruct's `verification_reward`, 10) when correct and 0 otherwise. `last_number` is
 * open-instruct's `ground_truth_utils.GSM8KVerifier`: commas between digits removed, the last number
 * (`[-+]?(?:\d*\.\d+|\d+)`) taken, or the whole response when there is none, compared case-insensitively.
 * `answer_prefix` takes the text after the last `Answer:` on its line; `{ regex }` the first capture group
 * (or whole match) of the regex's last match, in the spirit of lm-evaluation-harness's regex filter. Pure.
 */
export type AnswerExtraction = 'last_number' | 'answer_prefix' | { regex: string };

/** The final answer in `text`, or undefined when the extraction finds none (`last_number` never does). */
export function extractAnswer(text: string, extraction: AnswerExtraction): string | undefined {
  if (extraction === 'last_number') {
    const response = text.replace(/(\d),(\d)/g, '$1$2');
    const numbers = response.match(/[-+]?(?:\d*\.\d+|\d+)/g);
    return numbers === null ? response : numbers[numbers.length - 1];
  }
  if (extraction === 'answer_prefix') {
    const i = text.lastIndexOf('Answer:');
    if (i < 0) return undefined;
    return text.slice(i + 'Answer:'.length).split('\n')[0]!.trim();
  }
  const matches = [...text.matchAll(new RegExp(extraction.regex, 'g'))];
  const last = matches[matches.length - 1];
  return last === undefined ? undefined : (last[1] ?? last[0]);
}

/** `reward` when the extracted answer equals `label` (case-insensitive, as open-instruct compares), else 0. */
export function verifyAnswer(prediction: string, label: string, extraction: AnswerExtraction = 'last_number', reward = 10): number {
  const answer = extractAnswer(prediction, extraction);
  return answer !== undefined && answer.toLowerCase() === label.toLowerCase() ? reward : 0;
}
