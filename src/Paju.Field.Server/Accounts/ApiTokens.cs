using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Paju.Field.Server.Accounts;

public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Opaque bearer tokens for the API and the command line. The token is shown once; the database
/// keeps only its SHA-256, so a leaked backup does not leak sessions, and any token can be
/// revoked by deleting its row. The "pf_" prefix lets secret scanners recognise a leaked token.
/// </summary>
public static class ApiTokens
{
    private const string Prefix = "pf_";

    public static async Task<IssuedToken> IssueAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, long userId, string label, TimeSpan lifetime, CancellationToken ct)
    {
        var token = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var expiresAt = DateTimeOffset.UtcNow.Add(lifetime);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO api_token (user_id, token_hash, label, expires_at) VALUES ($1, $2, $3, $4)", conn, tx)
        {
            Parameters =
            {
                new() { Value = userId },
                new() { Value = Hash(token) },
                new() { Value = label },
                new() { Value = expiresAt },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
        return new IssuedToken(token, expiresAt);
    }

    /// <summary>The active user holding this token, or null when it is unknown, expired, revoked or its user disabled.</summary>
    public static async Task<AppUser?> ValidateAsync(NpgsqlConnection conn, string token, CancellationToken ct)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 100)
        {
            return null;
        }
        // Touches last_used_at at most once a minute, so a busy client does not write on every request.
        await using var cmd = new NpgsqlCommand("""
            WITH hit AS (
                SELECT t.id AS token_id, u.id, u.username, u.display_name, u.role, u.created_at, u.last_login_at,
                       u.disabled_at IS NOT NULL AS disabled
                FROM api_token t JOIN app_user u ON u.id = t.user_id
                WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL
            ), touch AS (
                UPDATE api_token SET last_used_at = now()
                WHERE id = (SELECT token_id FROM hit) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            )
            SELECT id, username, display_name, role, created_at, last_login_at, disabled FROM hit
            """, conn)
        {
            Parameters = { new() { Value = Hash(token) } },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? UserStore.Read(reader) : null;
    }

    public static async Task<bool> RevokeAsync(NpgsqlConnection conn, string token, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE api_token SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL", conn)
        {
            Parameters = { new() { Value = Hash(token) } },
        };
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
