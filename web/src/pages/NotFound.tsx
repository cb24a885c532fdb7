export function NotFoundPage() {
  return (
    <section class="state">
      <h1>Page not found</h1>
      <p>
        <a href="/">Search for a company</a>.
      </p>
    </section>
  );
}
