/** The command line's version (also written into exported ONNX files as producer_version). */
export const VERSION = '0.1.0';
