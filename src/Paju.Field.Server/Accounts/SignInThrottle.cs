using Npgsql;

namespace Paju.Field.Server.Accounts;

/// <summary>Whether a sign-in may be tried now, and if not, for how long and why.</summary>
public abstract record ThrottleVerdict
{
    /// <param name="AfterFailures">Failures are on record (below the limits): a success should clear them.</param>
    public sealed record Allowed(bool AfterFailures = false) : ThrottleVerdict;

    /// <summary>Too many failures lately: wait this long (HTTP 429 with Retry-After).</summary>
    public sealed record Wait(TimeSpan For) : ThrottleVerdict;

    /// <summary>Locked until then, or until an administrator lifts it (HTTP 423).</summary>
    public sealed record Locked(DateTimeOffset Until) : ThrottleVerdict;

    public static readonly ThrottleVerdict Yes = new Allowed();

    /// <summary>What the person sees, in Korean, with how long to wait.</summary>
    public string Korean => this switch
    {
        Wait w => $"로그인 실패가 많습니다. {Math.Max(1, (int)Math.Ceiling(w.For.TotalSeconds))}초 뒤에 다시 시도하세요.",
        Locked l => $"로그인 실패가 너무 많아 잠겼습니다. {Math.Max(1, (int)Math.Ceiling((l.Until - DateTimeOffset.UtcNow).TotalMinutes))}분 뒤에 풀리며, 관리자가 바로 풀 수도 있습니다.",
        _ => "",
    };
}

/// <summary>
/// Failed sign-ins counted per account, per address and per MQTT device, in the database so every
/// server process agrees: after a few, each next try must wait longer (1, 2, 4 … s); after many within
/// the window, a temporary lock. Checked before the password is, so a locked account cannot be guessed at.
/// </summary>
public sealed class SignInThrottle(NpgsqlDataSource db, SignInOptions options, TimeProvider clock)
{
    public const string Account = "account";
    public const string Address = "address";
    public const string Device = "device";

    public async Task<ThrottleVerdict> CheckAsync(string kind, string key, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT failures, last_failure_at, locked_until FROM sign_in_throttle WHERE kind = $1 AND key = $2");
        cmd.Parameters.Add(new() { Value = kind });
        cmd.Parameters.Add(new() { Value = key });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return ThrottleVerdict.Yes;
        }
        var now = clock.GetUtcNow();
        var (failures, last) = (reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1));
        if (!reader.IsDBNull(2) && reader.GetFieldValue<DateTimeOffset>(2) is var until && until > now)
        {
            return new ThrottleVerdict.Locked(until);
        }
        if (now - last > TimeSpan.FromMinutes(options.WindowMinutes))
        {
            return new ThrottleVerdict.Allowed(AfterFailures: true);
        }
        var free = kind switch { Account => options.AccountFreeFailures, Address => options.AddressFreeFailures, _ => options.DeviceFreeFailures };
        if (failures < free)
        {
            return new ThrottleVerdict.Allowed(AfterFailures: true);
        }
        var delay = TimeSpan.FromSeconds(Math.Min(options.MaxDelaySeconds, Math.Pow(2, Math.Min(30, failures - free))));
        var ready = last + delay;
        return ready > now ? new ThrottleVerdict.Wait(ready - now) : new ThrottleVerdict.Allowed(AfterFailures: true);
    }

    /// <summary>The strictest verdict of several keys (an account and the address it is tried from).</summary>
    public async Task<ThrottleVerdict> CheckAllAsync(IEnumerable<(string Kind, string Key)> keys, CancellationToken ct)
    {
        ThrottleVerdict verdict = ThrottleVerdict.Yes;
        foreach (var (kind, key) in keys)
        {
            verdict = (verdict, await CheckAsync(kind, key, ct)) switch
            {
                (ThrottleVerdict.Locked a, ThrottleVerdict.Locked b) => a.Until >= b.Until ? a : b,
                (ThrottleVerdict.Locked a, _) => a,
                (_, ThrottleVerdict.Locked b) => b,
                (ThrottleVerdict.Wait a, ThrottleVerdict.Wait b) => a.For >= b.For ? a : b,
                (ThrottleVerdict.Wait a, _) => a,
                (_, var b) => b,
            };
        }
        return verdict;
    }

    /// <summary>Counts a failure; returns true when this one locked the key.</summary>
    public async Task<bool> FailedAsync(string kind, string key, CancellationToken ct)
    {
        var lockAfter = kind switch { Account => options.AccountLockAfter, Address => options.AddressLockAfter, _ => options.DeviceLockAfter };
        await using var cmd = db.CreateCommand("""
            INSERT INTO sign_in_throttle AS t (kind, key, failures, first_failure_at, last_failure_at)
            VALUES ($1, $2, 1, $3, $3)
            ON CONFLICT (kind, key) DO UPDATE SET
                failures = CASE WHEN t.last_failure_at < $3 - $4 OR t.locked_until <= $3 THEN 1 ELSE t.failures + 1 END,
                first_failure_at = CASE WHEN t.last_failure_at < $3 - $4 OR t.locked_until <= $3 THEN $3 ELSE t.first_failure_at END,
                last_failure_at = $3,
                locked_until = CASE WHEN t.locked_until > $3 THEN t.locked_until END
            RETURNING failures
            """);
        var now = clock.GetUtcNow();
        cmd.Parameters.Add(new() { Value = kind });
        cmd.Parameters.Add(new() { Value = key });
        cmd.Parameters.Add(new() { Value = now });
        cmd.Parameters.Add(new() { Value = TimeSpan.FromMinutes(options.WindowMinutes) });
        var failures = (int)(await cmd.ExecuteScalarAsync(ct))!;
        if (failures < lockAfter)
        {
            return false;
        }
        await using var lockIt = db.CreateCommand("UPDATE sign_in_throttle SET locked_until = $3 WHERE kind = $1 AND key = $2 AND locked_until IS NULL");
        lockIt.Parameters.Add(new() { Value = kind });
        lockIt.Parameters.Add(new() { Value = key });
        lockIt.Parameters.Add(new() { Value = now.AddMinutes(options.LockMinutes) });
        return await lockIt.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>A success forgets the key's failures (accounts and devices; an address keeps its count until the window passes).</summary>
    public Task SucceededAsync(string kind, string key, CancellationToken ct) => ForgetAsync(kind, key, ct);

    /// <summary>An administrator lifts a lock (and the delays) at once; true when there was something to lift.</summary>
    public Task<bool> ForgetAsync(string kind, string key, CancellationToken ct) => LiftAsync(db, kind, key, ct);

    /// <summary>The same, for commands that run without the server.</summary>
    public static async Task<bool> LiftAsync(NpgsqlDataSource db, string kind, string key, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("DELETE FROM sign_in_throttle WHERE kind = $1 AND key = $2");
        cmd.Parameters.Add(new() { Value = kind });
        cmd.Parameters.Add(new() { Value = key.Trim().ToLowerInvariant() });
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }
}
