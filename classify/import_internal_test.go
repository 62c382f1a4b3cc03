package classify

import "testing"

func TestParseCodeCell(t *testing.T) {
	tests := []struct {
		cell   string
		code   int
		reason string
		ok     bool
	}{
		{"200", 200, "", true},
		{"400 Bad Request", 400, "Bad Request", true},
		{"HTTP 404", 404, "", true},
		{"http 429 - Too Many Requests", 429, "Too Many Requests", true},
		{"404 (Not Found)", 404, "Not Found", true},
		{"404（未找到）", 404, "未找到", true},
		{"404 (Not Found) for buckets", 404, "(Not Found) for buckets", true},
		{"503: Service Unavailable", 503, "Service Unavailable", true},
		{"500，服务异常", 500, "服务异常", true},
		{"599", 599, "", true},
		{"100", 100, "", true},
		{"099", 0, "", false},
		{"600", 0, "", false},
		{"4001", 0, "", false},
		{"2xx", 0, "", false},
		{"5XX Server errors", 0, "", false},
		{"520-527", 0, "", false},
		{"520 – 527 Cloudflare", 0, "", false},
		{"404a", 0, "", false},
		{"", 0, "", false},
		{"Code 404", 0, "", false},
	}
	for _, tt := range tests {
		code, reason, ok := parseCodeCell(tt.cell)
		if code != tt.code || reason != tt.reason || ok != tt.ok {
			t.Errorf("parseCodeCell(%q) = %d, %q, %t; want %d, %q, %t", tt.cell, code, reason, ok, tt.code, tt.reason, tt.ok)
		}
	}
}

func TestHeaderRole(t *testing.T) {
	for h, want := range map[string]role{
		"返回值": roleCode, "说明": roleMeaning, "Returned Value": roleCode, "Description": roleMeaning,
		"Status Code": roleCode, "Type": roleReason, "HTTP Status": roleCode, "状态码": roleCode,
		"错误码说明": roleMeaning, "Status Description": roleMeaning, "Reason Phrase": roleReason,
		"Category": roleCategory, "类别": roleCategory, "Meaning": roleMeaning, "Action": roleOther, "": roleOther,
	} {
		if got := headerRole(h); got != want {
			t.Errorf("headerRole(%q) = %d, want %d", h, got, want)
		}
	}
}

func TestInferCategory(t *testing.T) {
	for code, want := range map[int]Category{
		100: Informational, 200: Success, 204: Success, 301: Redirect, 400: Client, 401: Auth, 403: Permission,
		404: NotFound, 429: Client, 500: Server, 502: Gateway, 503: Server, 504: Gateway, 599: Server,
	} {
		if got := inferCategory(code); got != want {
			t.Errorf("inferCategory(%d) = %q, want %q", code, got, want)
		}
	}
}
