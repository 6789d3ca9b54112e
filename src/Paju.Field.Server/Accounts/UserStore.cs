using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Paju.Field.Server.Accounts;

public sealed record AppUser(long Id, string Username, string DisplayName, string Role, DateTimeOffset CreatedAt, DateTimeOffset? LastLoginAt, bool Disabled);

/// <summary>A request about accounts that cannot be carried out; the message tells the person why.</summary>
public sealed class AccountException(string message) : Exception(message);

/// <summary>
/// Users and their passwords. Passwords are hashed with ASP.NET Core Identity's hasher (format v3:
/// PBKDF2-HMAC-SHA512, 100,000 iterations, per-user salt), and rehashed on login when the
/// framework raises its parameters.
/// </summary>
public static partial class UserStore
{
    public const int MinimumPasswordLength = 10;

    private static readonly PasswordHasher<AppUser> Hasher = new();

    // A hash to verify against when the user does not exist, so a wrong username takes as long as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(null!, "paju-field-timing-equaliser");

    private const string SelectColumns = "id, username, display_name, role, created_at, last_login_at, disabled_at IS NOT NULL";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{2,31}$")]
    private static partial Regex UsernamePattern();

    /// <param name="department">The user's department (code), e.g. safety (안전총괄과).</param>
    /// <param name="managingBody">For role managing_body: the code of the body whose assets the user looks after.</param>
    public static async Task<AppUser> CreateAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, string username, string displayName, string role, string password, CancellationToken ct,
        string? department = null, string? managingBody = null)
    {
        username = username.Trim().ToLowerInvariant();
        if (!UsernamePattern().IsMatch(username))
        {
            throw new AccountException($"사용자 이름 '{username}'은(는) 쓸 수 없습니다: 영문 소문자·숫자·._- 로 3~32자, 첫 글자는 영문이나 숫자여야 합니다.");
        }
        if (!Roles.IsValid(role))
        {
            throw new AccountException($"역할 '{role}'은(는) 없습니다. 가능한 역할: {string.Join(", ", Roles.All)}.");
        }
        if (password.Length < MinimumPasswordLength)
        {
            throw new AccountException($"비밀번호는 {MinimumPasswordLength}자 이상이어야 합니다.");
        }
        if (await FindAsync(conn, tx, username, ct) is not null)
        {
            throw new AccountException($"사용자 '{username}'이(가) 이미 있습니다.");
        }
        if ((role == Roles.ManagingBody) != (managingBody is not null))
        {
            throw new AccountException(role == Roles.ManagingBody
                ? "관리주체 사용자는 어느 관리주체인지 함께 주어야 합니다 (--managing-body CODE)."
                : "관리주체(--managing-body)는 역할이 managing_body 인 사용자에게만 줍니다.");
        }
        long? bodyId = null;
        if (managingBody is not null)
        {
            await using var find = new NpgsqlCommand("SELECT id FROM managing_body WHERE code = $1", conn, tx) { Parameters = { new() { Value = managingBody } } };
            bodyId = (long?)await find.ExecuteScalarAsync(ct) ?? throw new AccountException($"관리주체 '{managingBody}'가 없습니다. paju body add 로 먼저 만드세요.");
        }
        if (department is not null)
        {
            await using var find = new NpgsqlCommand("SELECT count(*) FROM department WHERE code = $1", conn, tx) { Parameters = { new() { Value = department } } };
            if ((long)(await find.ExecuteScalarAsync(ct))! == 0)
            {
                throw new AccountException($"부서 '{department}'가 없습니다.");
            }
        }
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO app_user (username, display_name, role, password_hash, department, managing_body_id)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING {SelectColumns}
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = username },
                new() { Value = string.IsNullOrWhiteSpace(displayName) ? username : displayName.Trim() },
                new() { Value = role },
                new() { Value = Hasher.HashPassword(null!, password) },
                new() { Value = (object?)department ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new() { Value = (object?)bodyId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint },
            },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return Read(reader);
    }

    public static async Task<AppUser?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string username, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {SelectColumns} FROM app_user WHERE username = $1", conn, tx)
        {
            Parameters = { new() { Value = username.Trim().ToLowerInvariant() } },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public static async Task<IReadOnlyList<AppUser>> ListAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {SelectColumns} FROM app_user ORDER BY username", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var users = new List<AppUser>();
        while (await reader.ReadAsync(ct))
        {
            users.Add(Read(reader));
        }
        return users;
    }

    /// <summary>The user whose password this is, or null (unknown user, wrong password, or disabled).</summary>
    public static async Task<AppUser?> VerifyPasswordAsync(NpgsqlConnection conn, string username, string password, CancellationToken ct)
    {
        string? hash = null;
        AppUser? user = null;
        await using (var cmd = new NpgsqlCommand($"SELECT {SelectColumns}, password_hash FROM app_user WHERE username = $1", conn)
        {
            Parameters = { new() { Value = username.Trim().ToLowerInvariant() } },
        })
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                user = Read(reader);
                hash = reader.GetString(7);
            }
        }

        var result = Hasher.VerifyHashedPassword(user!, hash ?? DummyHash, password);
        if (user is null || user.Disabled || result == PasswordVerificationResult.Failed)
        {
            return null;
        }

        var rehash = result == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(user, password) : null;
        await using var update = new NpgsqlCommand(
            "UPDATE app_user SET last_login_at = now(), password_hash = coalesce($2, password_hash) WHERE id = $1", conn)
        {
            Parameters = { new() { Value = user.Id }, new() { Value = (object?)rehash ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } },
        };
        await update.ExecuteNonQueryAsync(ct);
        return user;
    }

    public static async Task SetPasswordAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long userId, string password, CancellationToken ct)
    {
        if (password.Length < MinimumPasswordLength)
        {
            throw new AccountException($"비밀번호는 {MinimumPasswordLength}자 이상이어야 합니다.");
        }
        await using var cmd = new NpgsqlCommand("UPDATE app_user SET password_hash = $2 WHERE id = $1", conn, tx)
        {
            Parameters = { new() { Value = userId }, new() { Value = Hasher.HashPassword(null!, password) } },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<string?> PasswordHashAsync(NpgsqlConnection conn, string username, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT password_hash FROM app_user WHERE username = $1", conn)
        {
            Parameters = { new() { Value = username } },
        };
        return (string?)await cmd.ExecuteScalarAsync(ct);
    }

    internal static AppUser Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5),
        r.GetBoolean(6));
}
