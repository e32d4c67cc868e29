// One command builds every browser bundle into web/static/dist (committed, so running the
// product needs no Node.js):  cd frontend && npm ci && npm run build   (or: python3 dev.py assets)
import * as esbuild from 'esbuild';

await esbuild.build({
  entryPoints: {
    viewer: 'src/viewer.js',
    modeler: 'src/modeler.js',
    'viewer-style': 'src/viewer.css',
    'modeler-style': 'src/modeler.css',
    'dmn-editor': 'src/dmn-editor.js',
    'dmn-editor-style': 'src/dmn-editor.css',
  },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: '../web/static/dist',
  loader: { '.woff': 'file', '.woff2': 'file', '.eot': 'file', '.ttf': 'file', '.svg': 'file' },
  assetNames: 'fonts/[name]',
  legalComments: 'linked',
  logLevel: 'info',
});
