/** Style sheets imported for the bundle (esbuild writes them to app.css). */
declare module "*.css";
