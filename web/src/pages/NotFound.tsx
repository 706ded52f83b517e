export function NotFound() {
  return (
    <section className="card stack">
      <h2>Page not found</h2>
      <p>
        Try the <a href="/">shop</a>, the <a href="/ops">ops dashboard</a> or the <a href="/vendor">vendor app</a>.
      </p>
    </section>
  );
}
