using Microsoft.Playwright;
using Paju.Field.Server.Accounts;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.WebApps;

/// <summary>The sign-in page every app shares, found the way a person finds it: by its labels and its button.</summary>
public sealed class SignInTests(WebFixture web, Browser browser) : IClassFixture<WebFixture>
{
    public static TheoryData<string> Screens => [.. Viewport.All.Select(v => v.Name)];

    private static Viewport Screen(string name) => Viewport.All.Single(v => v.Name == name);

    private Task<WebSession> OpenAsync(string screen) => WebSession.OpenAsync(browser, web.BaseAddress, Screen(screen));

    private static async Task SignInAsync(IPage page, string username, string password)
    {
        await page.GetByLabel("아이디").FillAsync(username);
        await page.GetByLabel("비밀번호").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
    }

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task The_form_is_found_by_its_labels_with_the_password_managers_hints(string screen)
    {
        await using var session = await OpenAsync(screen);
        await session.GotoAsync("/login");

        Assert.Equal("로그인 · 파주 현장안전", await session.Page.TitleAsync());
        Assert.Equal("ko", await session.Page.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal("username", await session.Page.GetByLabel("아이디").GetAttributeAsync("autocomplete"));
        Assert.Equal("current-password", await session.Page.GetByLabel("비밀번호").GetAttributeAsync("autocomplete"));
        Assert.Equal("password", await session.Page.GetByLabel("비밀번호").GetAttributeAsync("type"));
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Button, new() { Name = "로그인" })).ToBeVisibleAsync();
        Assert.Contains(session.Checked, url => url.EndsWith("/login", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task A_wrong_password_is_answered_in_Korean_and_keeps_the_name(string screen)
    {
        await using var session = await OpenAsync(screen);
        await session.GotoAsync("/login");

        await SignInAsync(session.Page, WebFixture.People[Roles.Operator], "not-the-password");

        var alert = session.Page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToHaveTextAsync("아이디 또는 비밀번호가 올바르지 않습니다.");
        await Assertions.Expect(session.Page.GetByLabel("아이디")).ToHaveValueAsync(WebFixture.People[Roles.Operator]);
        await Assertions.Expect(session.Page.GetByLabel("비밀번호")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(session.Page.GetByLabel("비밀번호")).ToHaveValueAsync("");
        await session.SettleAsync();
    }

    [Fact]
    public async Task An_address_carrying_a_NUL_gets_a_Korean_page_with_the_way_back_not_JSON()
    {
        await using var session = await OpenAsync(Viewport.PhoneSmall.Name);
        IResponse? response;
        await using (await session.ExpectFailures("HTTP 400: GET", "status of 400"))
        {
            response = await session.GotoAsync("/login?next=%2Finspector%00");
        }

        Assert.Equal(400, response!.Status);
        Assert.StartsWith("text/html", response.Headers["content-type"], StringComparison.Ordinal);
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("주소(URL)에 담긴 값에 저장할 수 없는 문자가 있습니다");
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("'next' 항목에 NUL 문자");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "돌아가서 다시 입력하기" }).ClickAsync();
        await session.Page.WaitForURLAsync("**/login");
        await Assertions.Expect(session.Page.GetByLabel("아이디")).ToBeVisibleAsync();
        await session.SettleAsync();
    }

    [Fact]
    public async Task An_empty_form_says_what_is_missing()
    {
        await using var session = await OpenAsync(Viewport.PhoneSmall.Name);
        await session.GotoAsync("/login");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("아이디와 비밀번호를 모두 입력하세요.");
    }

    [Theory]
    [InlineData(Roles.Admin, "관리자", true)]
    [InlineData(Roles.Operator, "상황실 운영자", true)]
    [InlineData(Roles.Viewer, "열람자", false)]
    public async Task Each_role_lands_in_its_place(string role, string roleName, bool room)
    {
        // Operators and administrators land in the control room; anyone else on the landing page.
        await using var session = await OpenAsync(Viewport.Laptop.Name);
        await session.GotoAsync("/login");

        await SignInAsync(session.Page, WebFixture.People[role], WebFixture.Password);

        await Assertions.Expect(session.Page).ToHaveURLAsync(new Uri(web.BaseAddress, "/").ToString());
        await Assertions.Expect(session.Page.GetByText($"{WebFixture.People[role]} ({roleName})")).ToBeVisibleAsync();
        if (room)
        {
            await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "경보", Level = 1 })).ToBeVisibleAsync();
            await Assertions.Expect(session.Page.Locator("#feed-state")).ToHaveTextAsync("실시간 연결됨");
        }
        else
        {
            await Assertions.Expect(session.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("정상");
        }
        await session.SettleAsync();
    }

    [Fact]
    public async Task An_inspector_lands_in_the_inspector_app()
    {
        await using var session = await OpenAsync(Viewport.PhoneSmall.Name);
        await session.GotoAsync("/login");

        await SignInAsync(session.Page, WebFixture.People[Roles.Inspector], WebFixture.Password);

        await Assertions.Expect(session.Page).ToHaveURLAsync(new Uri(web.BaseAddress, "/inspector/").ToString());
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "가까운 점검 대상" })).ToBeVisibleAsync();
        await session.SettleAsync();
    }

    [Fact]
    public async Task Signing_out_returns_to_the_sign_in_page_and_ends_the_session()
    {
        await using var session = await OpenAsync(Viewport.Wall.Name);
        await session.GotoAsync("/login");
        await SignInAsync(session.Page, WebFixture.People[Roles.Admin], WebFixture.Password);
        await Assertions.Expect(session.Page).ToHaveURLAsync(new Uri(web.BaseAddress, "/").ToString());
        await Assertions.Expect(session.Page.Locator("#feed-state")).ToHaveTextAsync("실시간 연결됨");   // the room has started
        await session.SettleAsync();   // and was photographed and checked before it is left

        await session.Page.GetByRole(AriaRole.Button, new() { Name = "로그아웃" }).ClickAsync();

        await Assertions.Expect(session.Page).ToHaveURLAsync(new Uri(web.BaseAddress, "/login").ToString());
        await session.GotoAsync("/");
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Link, new() { Name = "로그인" }).First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_person_can_sign_in_with_the_keyboard_alone()
    {
        await using var session = await OpenAsync(Viewport.Laptop.Name);
        await session.GotoAsync("/login");
        var page = session.Page;

        // Tab from the top of the page: skip link, the site's name, then the form in reading order.
        var order = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            order.Add(await page.EvaluateAsync<string>("document.activeElement.id || document.activeElement.textContent.trim()"));
        }
        Assert.Equal(["본문으로 건너뛰기", "파주 현장안전", "username", "password", "로그인"], order);

        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.TypeAsync(WebFixture.People[Roles.Operator]);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(WebFixture.Password);
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page).ToHaveURLAsync(new Uri(web.BaseAddress, "/").ToString());
        await Assertions.Expect(page.GetByText($"{WebFixture.People[Roles.Operator]} (상황실 운영자)")).ToBeVisibleAsync();
        await session.SettleAsync();
    }

    [Theory]
    [InlineData("/?from=alarm", "/?from=alarm")]
    [InlineData("//evil.example/phish", "/")]
    [InlineData("https://evil.example/", "/")]
    public async Task After_signing_in_it_goes_back_where_it_was_asked_but_never_off_site(string next, string landed)
    {
        await using var session = await OpenAsync(Viewport.Laptop.Name);
        await session.GotoAsync("/login?next=" + Uri.EscapeDataString(next));
        await SignInAsync(session.Page, WebFixture.People[Roles.Admin], WebFixture.Password);
        await Assertions.Expect(session.Page).ToHaveURLAsync(new Uri(web.BaseAddress, landed).ToString());
    }
}
