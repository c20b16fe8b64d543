/** The client dialects the gateway speaks (the wire protocol of the request, the rendering of errors). */
export type Dialect = 'openai' | 'anthropic';
