namespace Paju.Field.Tests.Harness;

/// <summary>The city's real reference files (../shared/data beside the checkout), read by tests only.</summary>
public static class SharedData
{
    public static string Path(string fileName)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data", fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        Requires.Missing($"the reference file shared/data/{fileName} was not found beside the checkout");
        return "";
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Paju.Field.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The tests run outside the repository.");
    }
}
