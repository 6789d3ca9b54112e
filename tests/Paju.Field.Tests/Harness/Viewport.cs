namespace Paju.Field.Tests.Harness;

/// <summary>The screens the product is used on: the control room's wall and desks, and an inspector's or a citizen's phone.</summary>
public sealed record Viewport(string Name, int Width, int Height, bool Phone)
{
    public static readonly Viewport Wall = new("desktop-1920", 1920, 1080, false);
    public static readonly Viewport Wall4K = new("wall-3840", 3840, 2160, false);
    public static readonly Viewport Laptop = new("desktop-1366", 1366, 768, false);
    public static readonly Viewport PhoneSmall = new("phone-360", 360, 800, true);

    public static readonly IReadOnlyList<Viewport> All = [Wall, Laptop, PhoneSmall];

    public override string ToString() => Name;
}
