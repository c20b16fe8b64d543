/**
 * The name a client dialect gives itself (`openai`, `anthropic`): a stable label for logs, metrics and
 * spend records. Nothing branches on it: what differs between dialects lives in src/dialects/.
 */
export type DialectName = string;
