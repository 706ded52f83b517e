/** What a form's own check found, before anything was sent. */
export function Invalid({ issues }: { issues: string[] | null }) {
  if (!issues) return null;
  return (
    <ul className="problem" role="alert">
      {issues.map((i) => (
        <li key={i}>{i}</li>
      ))}
    </ul>
  );
}
