using System.Text;

namespace Paju.Field.Bench;

/// <summary>
/// docs/BENCHMARKS.md keeps one section per benchmark between markers; a run replaces its own
/// section and leaves the others as they were.
/// </summary>
public static class Report
{
    public static string Path(string? overridePath)
    {
        if (overridePath is not null)
        {
            return System.IO.Path.GetFullPath(overridePath);
        }
        return System.IO.Path.Combine(RepositoryRoot(), "docs", "BENCHMARKS.md");
    }

    /// <summary>The checkout the benchmarks were built in (the folder of Paju.Field.sln); the working directory outside one.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Paju.Field.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }

    public static void WriteSection(string file, string key, string markdown)
    {
        var start = $"<!-- bench:{key}:start -->";
        var end = $"<!-- bench:{key}:end -->";
        var text = File.Exists(file)
            ? File.ReadAllText(file)
            : "# Benchmarks\n\nFigures measured by `./paju bench …` on the project's development machine kind. Each section says how to reproduce it.\n";
        var section = $"{start}\n{markdown.TrimEnd()}\n{end}";
        var at = text.IndexOf(start, StringComparison.Ordinal);
        text = at >= 0
            ? text[..at] + section + text[(text.IndexOf(end, StringComparison.Ordinal) + end.Length)..]
            : text.TrimEnd() + "\n\n" + section + "\n";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
    }

    public static string LatencyTable(IEnumerable<(string What, Samples Server, Samples Sql)> rows)
    {
        var md = new StringBuilder();
        md.AppendLine("| query | n | HTTP p50 | HTTP p95 | HTTP p99 | bare SQL p50 | bare SQL p95 | bare SQL p99 | HTTP/SQL at p95 |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (what, server, sql) in rows)
        {
            md.AppendLine($"| {what} | {server.Count} | {server.Percentile(50):F2} ms | {server.Percentile(95):F2} ms | {server.Percentile(99):F2} ms " +
                $"| {sql.Percentile(50):F2} ms | {sql.Percentile(95):F2} ms | {sql.Percentile(99):F2} ms | {server.Percentile(95) / sql.Percentile(95):F2} |");
        }
        return md.ToString();
    }
}
