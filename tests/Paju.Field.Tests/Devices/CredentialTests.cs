using Paju.Field.Server.Database;
using Paju.Field.Server.Devices;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Devices;

/// <summary>Device secrets use mosquitto's own "$7$" hash, so the same hash works in mosquitto's password file.</summary>
public sealed class CredentialTests
{
    [Fact]
    public async Task A_hash_made_by_mosquitto_passwd_verifies()
    {
        var tool = Requires.Tool("mosquitto_passwd", "apt-get install mosquitto");
        var file = Path.Combine(TempDirectory.Create("paju-passwd-"), "passwords");
        var result = await ProcessRunner.RunAsync(tool, ["-c", "-b", file, "ulgok-ps1-plc", "s3cret-from-mosquitto"]);
        Assert.True(result.Succeeded, result.Explanation);
        var hash = (await File.ReadAllTextAsync(file)).Trim().Split(':', 2)[1];

        Assert.StartsWith("$7$", hash);
        Assert.True(MosquittoPassword.Verify("s3cret-from-mosquitto", hash));
        Assert.False(MosquittoPassword.Verify("s3cret-from-mosquittO", hash));
    }

    [Fact]
    public void Our_hash_has_mosquittos_shape_and_verifies()
    {
        var hash = MosquittoPassword.Hash("device-secret");
        var parts = hash.Split('$');
        Assert.Equal(["", "7", "101"], parts[..3]);
        Assert.Equal(12, Convert.FromBase64String(parts[3]).Length);
        Assert.Equal(64, Convert.FromBase64String(parts[4]).Length);
        Assert.True(MosquittoPassword.Verify("device-secret", hash));
        Assert.False(MosquittoPassword.Verify("device-secreT", hash));
        Assert.False(MosquittoPassword.Verify("device-secret", "$6$not-ours"));
    }
}
