/** A versioned schema change; once released, never edited (add a new one). */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
