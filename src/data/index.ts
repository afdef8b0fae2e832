/**
 * `mlplab/data`: the file formats mlplab reads and writes (npy/npz, IDX, CSV, zip, gzip with a
 * bounded inflate), data sources resolved the same way in Node and the browser, and the
 * pre-processing pieces `prepare` is made of. Browser-safe: bytes in, arrays out; reading from
 * disk is `mlplab/node`'s `loadSource`.
 *
 * @module mlplab/data
 */
export { selectRows, type Dataset, type FeatureRows, type PrepStep } from './dataset.js';
export { inspectFile, memoryFiles, resolveFeatures, resolveSource, type FileSummary } from './source.js';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, NPZ_KEYS, loadOptionsSchema, type LoadedData, type LoadOptions, type SourceFiles } from './resolver.js';
export { INFLATE_DEFAULTS, gunzipLimited, inflateCap, type InflateLimits } from './formats/inflate.js';
export { mapLabels, type KnownClasses, type MappedLabels, type RawLabels } from './labels.js';
export { parseNpy, parseNpz, writeNpy, type NpyArray, type NpzOptions } from './formats/npy.js';
export { listZip, readZipEntry, type ZipEntry } from './formats/zip.js';
export { parseIdx } from './formats/idx.js';
export { CsvReader, parseCsv, type CsvOptions, type CsvTable } from './formats/csv.js';
export { countNulls, finiteRows } from './nulls.js';
export { stratifiedSplit } from './split.js';
export { fitScaler, type ScaleKind, type ScalerParams } from './scale.js';
export { fitPca, type PcaFit } from './pca.js';
export { Pipeline, type PipelineJSON, type PipelineMeta } from './pipeline.js';
export { PREPARE_DEFAULTS, prepare, prepareSchema, type PrepareOptions, type Prepared, type RawData } from './prepare.js';
export { TableEncoder, fitTableEncoder, type EncodeCounts, type EncodedColumn, type TableMeta } from './table/encoder.js';
export { TABLE_DEFAULTS, planColumns, type ColumnPlan, type ColumnRole, type TableOptions } from './table/plan.js';
export { describeTable, type ColumnInfo } from './table/describe.js';
export { ColumnStore, float32Text, type TableColumns } from './table/cells.js';
export { fromRecords, type Cell, type Columns, type Records } from './table/records.js';
