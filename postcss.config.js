// Remix's classic compiler runs this PostCSS config over every CSS file it bundles.
export default {
  plugins: {
    tailwindcss: {},
    autoprefixer: {},
  },
};
