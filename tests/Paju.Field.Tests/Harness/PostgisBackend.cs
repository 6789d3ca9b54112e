using DotNet.Testcontainers.Builders;
using Testcontainers.PostgreSql;

namespace Paju.Field.Tests.Harness;

public enum PostgisBackendKind
{
    /// <summary>PAJU_TEST_DB names a server someone runs for us (a CI service, a developer's PostGIS).</summary>
    ExternalServer,

    /// <summary>A pinned postgis/postgis container. Not verified on the development machines, which have no Docker engine.</summary>
    Testcontainers,

    /// <summary>The product's own private cluster under /tmp: what runs here and in CI.</summary>
    PrivateCluster,
}

/// <summary>Which PostGIS the tests use, and why.</summary>
public static class PostgisBackend
{
    public const string PinnedImage = "postgis/postgis:16-3.4";
    public const string ExternalVariable = "PAJU_TEST_DB";

    public static PostgisBackendKind Choose(string? externalConnectionString, bool dockerAnswers) =>
        !string.IsNullOrWhiteSpace(externalConnectionString) ? PostgisBackendKind.ExternalServer
        : dockerAnswers ? PostgisBackendKind.Testcontainers
        : PostgisBackendKind.PrivateCluster;

    /// <summary>
    /// Testcontainers fails in Build() with DockerUnavailableException when no engine answers
    /// (the docker client alone is not enough); that is the probe.
    /// </summary>
    public static PostgreSqlContainer? TryBuildContainer()
    {
        try
        {
            return new PostgreSqlBuilder(PinnedImage).Build();
        }
        catch (DockerUnavailableException)
        {
            return null;
        }
    }
}
