/** Public library surface of mkrootfs (named exports only). */
export { MkrootfsError, ExitCode } from './errors.ts';
export * as tree from './tree/tree.ts';
export { importDir } from './tree/import-dir.ts';
export { parseBytes, parseImageSize } from './tree/size.ts';
export { writeImageFile } from './ext2/write-image.ts';
export type { ImageOptions, ImageSummary } from './ext2/write-image.ts';
export { openImage, Ext2Reader } from './ext2/reader.ts';
export { loadRecipe, buildFromRecipe } from './pipeline.ts';
export type { Recipe, BootSection, LoadedRecipe, RecipeBuildSummary } from './pipeline.ts';
export { recipeJsonSchema } from './recipe/schema.ts';
export { buildGuest } from './guest/index.ts';
export type { BuildGuestOptions, GuestResult, GuestPaths } from './guest/index.ts';
export { guestVar } from './guest/vars.ts';
export { compileStatic } from './guest/compile.ts';
export { BootScript } from './boot/expect.ts';
export type { BootStep, BootOutcome, ScriptSpec } from './boot/expect.ts';
export { BootSession } from './boot/session.ts';
export { resolveBootOptions } from './boot/options.ts';
