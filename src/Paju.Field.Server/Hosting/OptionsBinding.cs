using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Paju.Field.Server.Hosting;

/// <summary>A typed options class bound from its own configuration section (e.g. "Paju:Tiles").</summary>
public interface IPajuOptions
{
    static abstract string Section { get; }
}

/// <summary>
/// The one way options are read: bound from their section and checked by their data annotations and
/// <see cref="IValidatableObject"/>. The server refuses to start on a wrong value and names the key;
/// a command that reads options without the host gets the same check and the same words.
/// </summary>
public static class OptionsBinding
{
    /// <summary>Binds <typeparamref name="T"/>, checks it at start-up, and makes it injectable both as T and as IOptions&lt;T&gt;.</summary>
    public static IServiceCollection AddPajuOptions<T>(this IServiceCollection services, IConfiguration configuration)
        where T : class, IPajuOptions, new()
    {
        services.AddOptions<T>().Bind(configuration.GetSection(T.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>, Checker<T>>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return services;
    }

    /// <summary>The same binding and checks for commands that run without the host.</summary>
    public static T ReadPajuOptions<T>(this IConfiguration configuration)
        where T : class, IPajuOptions, new()
    {
        var options = configuration.GetSection(T.Section).Get<T>() ?? new T();
        var problems = Problems(options);
        return problems.Count == 0 ? options : throw new PajuSetupException(string.Join(" ", problems));
    }

    private static List<string> Problems<T>(T options) where T : class, IPajuOptions
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage!.StartsWith(T.Section + ":", StringComparison.Ordinal) ? r.ErrorMessage : $"{T.Section}: {r.ErrorMessage}")];
    }

    private sealed class Checker<T> : IValidateOptions<T> where T : class, IPajuOptions
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            Problems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
