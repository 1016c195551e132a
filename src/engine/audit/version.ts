/** The engine's version, reported in every result; kept equal to package.json by a unit test. */
export const TOOL_VERSION = '0.1.0';
