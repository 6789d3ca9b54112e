using System.Globalization;
using System.Security;
using System.Text;
using QRCoder;
using SkiaSharp;

namespace Paju.Field.Server.Tags;

/// <summary>What one plate shows: the URL (as a QR code) and the asset it belongs to.</summary>
public sealed record PlateText(string Url, string KindName, string AssetName, string AssetCode, string TagId);

/// <summary>
/// Printable plates: a QR code (error correction M, so a scratched plate still reads) with the asset's name
/// and code under it, as SVG (for the print shop, text left to its fonts) and PNG (drawn here with Noto Sans
/// CJK KR, so Korean is right whatever prints it). 600 × 860 px: 50 × 72 mm at 300 dpi.
/// </summary>
public sealed class TagPlates : IDisposable
{
    public const int Width = 600;
    public const int Height = 860;
    private const int QrTop = 110;
    private const int QrSize = 440;

    // Debian's fonts-noto-cjk; face 1 of the collection is the Korean one.
    private static readonly string[] FontCandidates =
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-{0}.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-{0}.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-{0}.ttc",
    ];

    private readonly SKTypeface _regular;
    private readonly SKTypeface _bold;

    public TagPlates(string? fontDirectory = null)
    {
        _regular = LoadFace("Regular", fontDirectory);
        _bold = LoadFace("Bold", fontDirectory);
    }

    private static SKTypeface LoadFace(string weight, string? directory)
    {
        var candidates = directory is null
            ? FontCandidates.Select(c => string.Format(CultureInfo.InvariantCulture, c, weight))
            : [Path.Combine(directory, $"NotoSansCJK-{weight}.ttc")];
        foreach (var path in candidates.Where(File.Exists))
        {
            if (SKTypeface.FromFile(path, 1) is { } face)
            {
                return face;
            }
        }
        throw new PajuSetupException($"표지의 한글을 그릴 글꼴(Noto Sans CJK {weight})이 없습니다. fonts-noto-cjk 패키지를 설치하세요 (apt install fonts-noto-cjk).");
    }

    /// <summary>The QR modules (true = dark), with the standard 4-module quiet zone.</summary>
    public static bool[][] QrModules(string url)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
        return [.. data.ModuleMatrix.Select(row => Enumerable.Range(0, row.Length).Select(i => row[i]).ToArray())];
    }

    public byte[] Png(PlateText plate)
    {
        var modules = QrModules(plate.Url);
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = false };
        using var text = new SKPaint { Color = new SKColor(0x1B, 0x1F, 0x24), IsAntialias = true };
        using var band = new SKPaint { Color = new SKColor(0x0B, 0x3D, 0x91) };

        canvas.DrawRect(0, 0, Width, 84, band);
        using (var white = new SKPaint { Color = SKColors.White, IsAntialias = true })
        using (var headFont = new SKFont(_bold, 34))
        {
            canvas.DrawText($"파주시 · {plate.KindName}", Width / 2f, 56, SKTextAlign.Center, headFont, white);
        }

        // Whole pixels per module, centred: no module is a pixel wider than another, so scanners read it at any size.
        var scale = QrSize / modules.Length;
        var left = (Width - scale * modules.Length) / 2;
        var top = QrTop + (QrSize - scale * modules.Length) / 2;
        for (var y = 0; y < modules.Length; y++)
        {
            for (var x = 0; x < modules[y].Length; x++)
            {
                if (modules[y][x])
                {
                    canvas.DrawRect(left + x * scale, top + y * scale, scale, scale, ink);
                }
            }
        }

        var nameTop = QrTop + QrSize + 60f;
        foreach (var line in Wrap(plate.AssetName, _bold, 40, Width - 60, maxLines: 2, out var nameSize))
        {
            using var font = new SKFont(_bold, nameSize);
            canvas.DrawText(line, Width / 2f, nameTop, SKTextAlign.Center, font, text);
            nameTop += nameSize * 1.3f;
        }
        using (var codeFont = new SKFont(_regular, 26))
        {
            canvas.DrawText($"시설 코드 {plate.AssetCode}", Width / 2f, nameTop + 14, SKTextAlign.Center, codeFont, text);
            canvas.DrawText($"표지 {plate.TagId}", Width / 2f, nameTop + 50, SKTextAlign.Center, codeFont, text);
        }
        using (var hintFont = new SKFont(_regular, 22))
        {
            canvas.DrawText("휴대폰 카메라로 QR 코드를 비추거나 NFC를 대 보세요", Width / 2f, Height - 24, SKTextAlign.Center, hintFont, text);
        }

        using var image = surface.Snapshot();
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    /// <summary>The same plate as SVG: the QR code as one path, the text as text (Noto Sans CJK KR named first).</summary>
    public string Svg(PlateText plate)
    {
        var modules = QrModules(plate.Url);
        var scale = QrSize / modules.Length;
        var left = (Width - scale * modules.Length) / 2;
        var top = QrTop + (QrSize - scale * modules.Length) / 2;
        var path = new StringBuilder();
        for (var y = 0; y < modules.Length; y++)
        {
            for (var x = 0; x < modules[y].Length; x++)
            {
                if (modules[y][x])
                {
                    path.Append(CultureInfo.InvariantCulture, $"M{left + x * scale} {top + y * scale}h{scale}v{scale}h-{scale}z");
                }
            }
        }
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" role="img" aria-label="{X(plate.AssetName)} 표지">
            <title>{X(plate.AssetName)} ({X(plate.AssetCode)}) · {X(plate.Url)}</title>
            <style>text {"{"} font-family: 'Noto Sans CJK KR', 'Noto Sans KR', 'Malgun Gothic', sans-serif; fill: #1b1f24; text-anchor: middle {"}"} .head {"{"} fill: #fff; font-weight: 700; font-size: 34px {"}"} .name {"{"} font-weight: 700 {"}"}</style>
            <rect width="{Width}" height="{Height}" fill="#fff"/>
            <rect width="{Width}" height="84" fill="#0b3d91"/>
            <text class="head" x="{Width / 2}" y="56">파주시 · {X(plate.KindName)}</text>
            <path d="{path}" fill="#000" shape-rendering="crispEdges"/>

            """);
        var nameTop = QrTop + QrSize + 60f;
        foreach (var line in Wrap(plate.AssetName, _bold, 40, Width - 60, maxLines: 2, out var nameSize))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"name\" x=\"{Width / 2}\" y=\"{nameTop}\" font-size=\"{nameSize}px\">{X(line)}</text>\n");
            nameTop += nameSize * 1.3f;
        }
        svg.Append(CultureInfo.InvariantCulture, $"""
            <text x="{Width / 2}" y="{nameTop + 14}" font-size="26px">시설 코드 {X(plate.AssetCode)}</text>
            <text x="{Width / 2}" y="{nameTop + 50}" font-size="26px">표지 {X(plate.TagId)}</text>
            <text x="{Width / 2}" y="{Height - 24}" font-size="22px">휴대폰 카메라로 QR 코드를 비추거나 NFC를 대 보세요</text>
            </svg>

            """);
        return svg.ToString();
    }

    /// <summary>Breaks a name into at most <paramref name="maxLines"/> lines that fit, shrinking the type until they do (Korean may break between any syllables).</summary>
    private static List<string> Wrap(string text, SKTypeface face, float size, float width, int maxLines, out float usedSize)
    {
        for (usedSize = size; ; usedSize -= 2)
        {
            using var font = new SKFont(face, usedSize);
            var lines = new List<string>();
            var rest = text.Trim();
            while (rest.Length > 0 && lines.Count < maxLines)
            {
                var take = rest.Length;
                while (take > 1 && font.MeasureText(rest[..take]) > width)
                {
                    take--;
                }
                // Prefer to break at a space when one is in the line.
                var space = take < rest.Length ? rest.LastIndexOf(' ', take - 1, take) : -1;
                if (space > 0)
                {
                    take = space;
                }
                lines.Add(rest[..take].Trim());
                rest = rest[take..].Trim();
            }
            if (rest.Length == 0 || usedSize <= 18)
            {
                if (rest.Length > 0)
                {
                    lines[^1] = lines[^1][..^1] + "…";
                }
                return lines;
            }
        }
    }

    private static string X(string text) => SecurityElement.Escape(text);

    public void Dispose()
    {
        _regular.Dispose();
        _bold.Dispose();
    }
}
