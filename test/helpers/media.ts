import path from 'node:path';

/** Real footage and photos, never copied into the repo (`VIGIL_TEST_MEDIA`, default ../shared/media). */
export const MEDIA = process.env.VIGIL_TEST_MEDIA ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'media');
/** Real model files, never written to (`VIGIL_MODELS_DIR`, default ../shared/models). */
export const MODELS = process.env.VIGIL_MODELS_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'models');
/** The walkway clip most pipeline tests use (768x576, 10 fps). */
export const VTEST = path.join(MEDIA, 'vtest.mp4');
/** The vigil CLI. */
export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'vigil.js');
