using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// Which PostGIS the test suite runs on. The Testcontainers path is chosen whenever a Docker
/// engine answers; it is unverified on these machines, which have the docker client but no engine.
/// </summary>
public sealed class PostgisBackendTests(PostgisServer server)
{
    [Theory]
    [InlineData("Host=db;Username=postgres", true, PostgisBackendKind.ExternalServer)]
    [InlineData("Host=db;Username=postgres", false, PostgisBackendKind.ExternalServer)]
    [InlineData(null, true, PostgisBackendKind.Testcontainers)]
    [InlineData(null, false, PostgisBackendKind.PrivateCluster)]
    [InlineData("  ", false, PostgisBackendKind.PrivateCluster)]
    public void The_backend_is_an_external_server_then_Docker_then_the_private_cluster(string? external, bool docker, PostgisBackendKind expected)
    {
        Assert.Equal(expected, PostgisBackend.Choose(external, docker));
    }

    [Fact]
    public void This_run_uses_the_backend_the_rules_choose_for_this_machine()
    {
        var external = Environment.GetEnvironmentVariable(PostgisBackend.ExternalVariable);
        var dockerAnswers = string.IsNullOrWhiteSpace(external) && PostgisBackend.TryBuildContainer() is not null;
        Assert.Equal(PostgisBackend.Choose(external, dockerAnswers), server.Kind);
    }
}
