/** A model group as GET /v1/models lists it to a principal. */
export interface ModelInfo {
  /** The group name clients send as `model`. */
  readonly id: string;
  /** The group's description from the config, if any. */
  readonly description?: string | undefined;
}
