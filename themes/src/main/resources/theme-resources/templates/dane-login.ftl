<#-- auth-dane, identity source "request-parameter", browser: ask for the device's DNS name. -->
<#import "template.ftl" as layout>
<@layout.registrationLayout displayMessage=true; section>
    <#if section = "header">
        ${msg("daneLoginTitle")}
    <#elseif section = "form">
        <form id="kc-dane-login-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <div class="${properties.kcFormGroupClass!}">
                <label for="dane_clientid" class="${properties.kcLabelClass!}">${msg("daneClientId")}</label>
                <input id="dane_clientid" name="dane_clientid" type="text" class="${properties.kcInputClass!}"
                       autofocus autocomplete="off" spellcheck="false" placeholder="sensor7._device.example.com"/>
                <p class="${properties.kcInputHelperTextClass!}">${msg("daneLoginHelp")}</p>
            </div>
            <div class="${properties.kcFormGroupClass!}">
                <input class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!}"
                       name="login" id="kc-login" type="submit" value="${msg("doLogIn")}"/>
            </div>
        </form>
    </#if>
</@layout.registrationLayout>
